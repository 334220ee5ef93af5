/** `chipset start`'s own options as commander parses them. */
export interface StartOptions {
  http: string;
  json?: boolean;
  detach?: boolean;
  readyTimeout?: string;
  cluster?: string;
  node?: string;
  clusterName?: string;
}

/** `--cluster`, `--node` and `--cluster-name` as given. */
export interface HostClusterOptions {
  url: string;
  node?: string;
  name?: string;
}
