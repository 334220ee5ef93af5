import type { Candidate, DispatchRequest } from "../../vocabulary/dispatch.js";

/**
 * Whether `candidate` is of the engine type the request asks for. Every built-in strategy treats
 * the type as a hard filter (document 004's first factor); a request without a type takes any.
 */
export function typeMatches(candidate: Candidate, request: DispatchRequest): boolean {
  return request.type === undefined || candidate.engineType === request.type;
}

/** How many of the requested capabilities `candidate` has (0 when none is requested). */
export function capabilitiesMatched(candidate: Candidate, request: DispatchRequest): number {
  const wanted = request.capabilities;
  if (wanted === undefined) return 0;
  let matched = 0;
  for (let i = 0; i < wanted.length; i++) if (candidate.capabilities.includes(wanted[i]!)) matched++;
  return matched;
}

/** Whether `candidate` has every requested capability. */
export function hasCapabilities(candidate: Candidate, request: DispatchRequest): boolean {
  const wanted = request.capabilities;
  return wanted === undefined || capabilitiesMatched(candidate, request) === wanted.length;
}

/** How many of the requested labels `candidate` carries with the same value (0 when none is requested). */
export function labelsMatched(candidate: Candidate, request: DispatchRequest): number {
  const wanted = request.labels;
  let matched = 0;
  if (wanted !== undefined) for (const name in wanted) if (candidate.labels[name] === wanted[name]) matched++;
  return matched;
}

/** How many labels the request prefers. */
export function labelsRequested(request: DispatchRequest): number {
  let requested = 0;
  if (request.labels !== undefined) for (const _ in request.labels) requested++;
  return requested;
}

/** A weight usable for sharing: NaN, infinite and negative weights count as 0. */
export function usableWeight(weight: number): number {
  return weight > 0 && weight < Infinity ? weight : 0;
}
