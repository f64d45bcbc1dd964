// `@mantle-vend/client/proxy`: the local proxy in front of Mantle, as client/README.md documents it ("Proxy").
export { startProxy, type ProxyOptions, type RunningProxy } from "./server.js";
