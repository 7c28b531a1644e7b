import { ConfigError, loadConfig, type Config } from "../config.js";

/** Invalid configuration stops the process at start with every problem listed (spec §9). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
