import { closestName } from "../../common/closestName.js";
import { type Disposable, toDisposable } from "../../common/Disposable.js";
import { ChipsetError, ErrorCodes } from "../../errors/index.js";
import { builtInStrategies } from "../../vocabulary/dispatch.js";
import { builtInFactories } from "./builtIns.js";
import type { DispatchStrategy, StrategyFactory, StrategySettings } from "./DispatchStrategy.js";

/** A strategy name: lowercase words joined by `-` or `_`, as the manifest's `replicas.strategy`. */
export const STRATEGY_NAME = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;

/**
 * The dispatch strategies a runtime knows: the built-ins and those the application registers.
 * Registered strategies are checked and used exactly like the built-in ones.
 */
export class StrategyRegistry {
  private readonly registered = new Map<string, StrategyFactory>();

  /**
   * Adds the application strategy `name`, made by `factory(settings)`. Refused
   * (`CHIP_ERR_STRATEGY_INVALID`) when the name is malformed, a built-in's or already taken, or
   * the factory is not a function. Disposing the result removes it.
   */
  register(name: string, factory: StrategyFactory): Disposable {
    if (typeof name !== "string" || !STRATEGY_NAME.test(name))
      throw invalid(
        `Cannot register dispatch strategy ${JSON.stringify(name)}: a name is lowercase letters and digits, words joined by - or _ (such as "my_strategy").`,
        { name },
      );
    if ((builtInStrategies as readonly string[]).includes(name))
      throw invalid(
        `Cannot register dispatch strategy "${name}": it is a built-in strategy. Choose another name.`,
        { name },
      );
    if (this.registered.has(name))
      throw invalid(
        `Cannot register dispatch strategy "${name}": one is already registered under that name. Dispose the first registration, or choose another name.`,
        { name },
      );
    if (typeof factory !== "function")
      throw invalid(
        `Cannot register dispatch strategy "${name}": expected a factory function (settings) => ({ pick(candidates, request) }), got ${typeName(factory)}.`,
        { name },
      );
    this.registered.set(name, factory);
    return toDisposable(() => {
      if (this.registered.get(name) === factory) this.registered.delete(name);
    });
  }

  /** Whether a strategy is known by `name`. */
  has(name: string): boolean {
    return this.registered.has(name) || Object.hasOwn(builtInFactories, name);
  }

  /** Every known name: the built-ins, then the registered in order of registration. */
  names(): string[] {
    return [...builtInStrategies, ...this.registered.keys()];
  }

  /** The factory of `name`; an unknown name is refused, naming the known ones (and the closest). */
  get(name: string): StrategyFactory {
    const factory = Object.hasOwn(builtInFactories, name)
      ? builtInFactories[name as keyof typeof builtInFactories]
      : this.registered.get(name);
    if (factory !== undefined) return factory;
    const known = this.names();
    const hint = typeof name === "string" ? closestName(name, known) : undefined;
    throw invalid(
      `No dispatch strategy is named ${JSON.stringify(name)}${hint ? ` (did you mean "${hint}"?)` : ""}. Known: ${known.join(", ")}.`,
      { name, known },
    );
  }

  /**
   * A new strategy `name` made with `settings`, checked: what the factory returns must have a
   * `pick` function (and `peek` and `membersChanged`, when present, must be functions). A factory
   * that throws is reported with its error as the `cause`.
   */
  create(name: string, settings: StrategySettings = {}): DispatchStrategy {
    const factory = this.get(name);
    let strategy: unknown;
    try {
      strategy = factory(settings);
    } catch (err) {
      if (err instanceof ChipsetError) throw err;
      throw invalid(
        `Dispatch strategy "${name}" could not be made: its factory threw (see the cause).`,
        { name },
        err,
      );
    }
    const s = strategy as Partial<Record<keyof DispatchStrategy, unknown>> | null;
    if (typeof s !== "object" || s === null || typeof s.pick !== "function")
      throw invalid(
        `Dispatch strategy "${name}": its factory returned ${typeName(strategy)}, not an object with a pick(candidates, request) function.`,
        { name },
      );
    for (const optional of ["peek", "membersChanged"] as const)
      if (s[optional] !== undefined && typeof s[optional] !== "function")
        throw invalid(
          `Dispatch strategy "${name}": its ${optional} is ${typeName(s[optional])}, not a function.`,
          { name },
        );
    return strategy as DispatchStrategy;
  }
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): ChipsetError {
  return new ChipsetError(ErrorCodes.STRATEGY_INVALID, message, { details, cause });
}

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
