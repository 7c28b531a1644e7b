import { ConfigError, loadConfig, type Config } from "../config.js";

/** Invalid configuration stops the process at start with every problem listed (spec §9). */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      // Like every line the service prints: one JSON object (the problems listed together).
      process.stderr.write(`${JSON.stringify({ level: 60, time: Date.now(), pid: process.pid, msg: "invalid configuration", problems: error.problems })}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}
