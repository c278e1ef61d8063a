export { loadConfig, loadConfigOrExit, ConfigError, envSchema, replicaUrls, NOTIFIER_ROLES } from './loadConfig';
export type { Config, ConfigContext, Env, LogFormat, NotifierRole } from './loadConfig';
export { isLoopbackHost } from './isLoopbackHost';
export type { Rate, Backoff } from './limitsEnv';
export { adminPortFor, DEV_CORS_ORIGINS } from './surface';
export type { Surface, TrustedDocumentsMode } from './surface';
