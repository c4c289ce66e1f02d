// Limits on what an untrusted model file may make the JS readers allocate or recurse into.
// Every default fits any real QKeras model; loadModel(src, { limits: { ... } }) raises them.
// (The C++ core checks its own limits on shapes and the arena; these guard the JS side:
// archives, headers, JSON and HDF5 datasets, checked before anything is allocated.)

export const DEFAULT_LIMITS = Object.freeze({
  /** bytes one entry of a .keras zip may inflate to, and all entries together */
  maxDecompressedBytes: 1 << 30,
  /** bytes of a JSON document (a model config, a .qkwm header), after inflating */
  maxJsonBytes: 64 << 20,
  /** nesting depth of arrays and objects in a JSON document */
  maxNestingDepth: 128,
  /** elements of one weight tensor in a file */
  maxTensorElements: 2 ** 28,
});

/**
 * The effective limits: the defaults, overridden by options.limits (each a positive number).
 * @param {{ limits?: Partial<typeof DEFAULT_LIMITS> } | undefined | null} options
 * @returns {typeof DEFAULT_LIMITS}
 */
export function resolveLimits(options) {
  const given = options?.limits;
  if (given === undefined || given === null) return DEFAULT_LIMITS;
  if (typeof given !== 'object' || Array.isArray(given)) throw new TypeError('options.limits must be an object');
  const out = { ...DEFAULT_LIMITS };
  for (const [key, value] of Object.entries(given)) {
    if (!Object.hasOwn(DEFAULT_LIMITS, key)) {
      out[key] = value; // one of the C++ core's limits: passed on, checked there
      continue;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new TypeError(`options.limits.${key} must be a positive integer, got ${String(value)}`);
    }
    out[key] = value;
  }
  return Object.freeze(out);
}

/** Names the option that raises a limit, for error messages. */
export function limitHint(key) {
  return `(limit ${key} = ${DEFAULT_LIMITS[key]}; raise it with options.limits.${key})`;
}
