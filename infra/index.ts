export { MantleTokenVendor, type MantleTokenVendorProps } from "./vendor.js";
export { MantleVendStack, type MantleVendStackProps } from "./stack.js";
