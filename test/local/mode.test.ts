/** The pure parts of npm start's mode: what asks for offline, and how a credential source is named. */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../lambda/errors.js";
import { credentialSource, offlineRequest, strayArguments } from "../../lambda/local/mode.js";

describe("what asks npm start to run offline", () => {
  it("the flag, then MANTLE_VEND_OFFLINE (0 turns off npm's own --offline), then npm_config_offline", () => {
    expect(offlineRequest(true, { MANTLE_VEND_OFFLINE: "0" })).toBe("--offline");
    expect(offlineRequest(false, { MANTLE_VEND_OFFLINE: "true" })).toBe("MANTLE_VEND_OFFLINE=1");
    expect(offlineRequest(false, { MANTLE_VEND_OFFLINE: "0", npm_config_offline: "true" })).toBeUndefined();
    expect(offlineRequest(false, { npm_config_offline: "true" })).toMatch(/^npm start --offline/);
    expect(offlineRequest(false, {})).toBeUndefined();
    expect(() => offlineRequest(false, { MANTLE_VEND_OFFLINE: "on" })).toThrow(ConfigError);
  });
});

describe("the credential source is named from the SDK's $source features", () => {
  it.each<[Record<string, string> | undefined, Record<string, string>, string]>([
    [{ CREDENTIALS_ENV_VARS: "g" }, {}, "environment variables (AWS_ACCESS_KEY_ID)"],
    [{ CREDENTIALS_PROFILE: "n" }, { AWS_PROFILE: "dev" }, 'profile "dev"'],
    [{ CREDENTIALS_PROFILE: "n", CREDENTIALS_PROFILE_SSO: "r" }, {}, 'profile "default" (SSO)'],
    [{ CREDENTIALS_ENV_VARS_STS_WEB_ID_TOKEN: "h", CREDENTIALS_STS_ASSUME_ROLE_WEB_ID: "k" }, {}, "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)"],
    [{ CREDENTIALS_IMDS: "0" }, {}, "the EC2 instance's role"],
    [{ CREDENTIALS_HTTP: "z" }, {}, "the container's credentials endpoint"],
    [undefined, {}, "the default credential chain"],
  ])("%j", (features, env, text) => {
    expect(credentialSource(features, env)).toBe(text);
  });
});

describe("arguments npm start does not take", () => {
  it("a value left behind by npm's --port, --host or --data-dir says how to write it; anything else is named", () => {
    expect(strayArguments(["8797"], { npm_config_port: "true" })).toBe("npm took --port for itself: run npm start -- --port 8797");
    expect(strayArguments(["0.0.0.0"], { npm_config_host: "true" })).toBe("npm took --host for itself: run npm start -- --host 0.0.0.0");
    expect(strayArguments(["x"], {})).toMatch(/^unexpected argument "x"/);
    expect(strayArguments([], { npm_config_port: "true" })).toBeUndefined();
  });
});
