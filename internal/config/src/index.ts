export { loadConfig, loadConfigOrExit, ConfigError, envSchema } from './loadConfig';
export type { Config, ConfigContext, Env, LogFormat } from './loadConfig';
export { adminPortFor, DEV_CORS_ORIGINS } from './surface';
export type { Surface, TrustedDocumentsMode } from './surface';
