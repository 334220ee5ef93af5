/**
 * What a sandboxed module may do: the manifest's `permissions` (what the module asks for), and
 * each entry of the config file's `permissions` (the operator's ceiling: the most it may get).
 */
export interface PermissionsSection {
  /** Paths it may read: in a manifest relative to the module's directory, or absolute. */
  fsRead?: string[];
  /** Paths it may write (created when inside the module's directory and missing). */
  fsWrite?: string[];
  /** May start child processes (which leave Node's permission model on Node 20). */
  childProcess?: boolean;
  /** May start worker threads (which stay under the permission model). */
  worker?: boolean;
  /** Names of the runtime's environment variables it gets; it gets no others. */
  env?: string[];
  /** May use the network (else it has only a loopback of its own, where the machine allows). */
  net?: boolean;
}

/**
 * The operator's ceilings (config file `permissions`), paths absolute: `default` for every
 * sandboxed module, and per module id over it, field by field.
 */
export interface PermissionCeilings {
  /** Absolute path of the config file that set them, for messages; undefined without one. */
  file: string | undefined;
  default: PermissionsSection | undefined;
  modules: ReadonlyMap<string, PermissionsSection>;
}
