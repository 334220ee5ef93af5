import { describe, expect, it } from "vitest";
import { assertExposureAllowed, isLoopback, parseListenAddress, urlOf } from "./listenAddress.js";

describe("--http HOST:PORT", () => {
  it("reads IPv4, names and bracketed IPv6 addresses with a port", () => {
    expect(parseListenAddress("127.0.0.1:7411")).toEqual({ host: "127.0.0.1", port: 7411 });
    expect(parseListenAddress("localhost:0")).toEqual({ host: "localhost", port: 0 });
    expect(parseListenAddress("[::1]:8080")).toEqual({ host: "::1", port: 8080 });
  });

  it("refuses what is not HOST:PORT with CHIP_ERR_CLI_USAGE", () => {
    for (const bad of ["7411", "127.0.0.1", "127.0.0.1:99999", "::1:80", "host:port"])
      expect(() => parseListenAddress(bad), bad).toThrow(
        expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
      );
  });

  it("tells loopback addresses from those other machines reach", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "::ffff:127.0.0.1"])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.168.1.10", "example.com", "10.0.0.1"])
      expect(isLoopback(host), host).toBe(false);
  });

  it("refuses an address other machines reach unless the token comes from a file", () => {
    expect(() => assertExposureAllowed({ host: "0.0.0.0", port: 7411 }, false)).toThrow(/--token-file/);
    expect(() => assertExposureAllowed({ host: "::", port: 7411 }, false)).toThrow(
      expect.objectContaining({ code: "CHIP_ERR_CLI_USAGE" }),
    );
    expect(() => assertExposureAllowed({ host: "0.0.0.0", port: 7411 }, true)).not.toThrow();
    expect(() => assertExposureAllowed({ host: "127.0.0.1", port: 7411 }, false)).not.toThrow();
  });

  it("writes IPv6 hosts in brackets in the URL", () => {
    expect(urlOf("::1", 80)).toBe("http://[::1]:80");
    expect(urlOf("127.0.0.1", 7411)).toBe("http://127.0.0.1:7411");
  });
});
