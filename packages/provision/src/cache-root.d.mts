/** Per-user cache folder of Langtian EDA (`LANGTIAN_CACHE_DIR` overrides it). */
export function cacheRoot(): string;
