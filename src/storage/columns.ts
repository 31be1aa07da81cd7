// Growable typed-array columns, as the memory log and the in-memory indexes keep their entries.

/** `a` itself while index `n` fits, else a copy twice as long. */
export function grown<T extends Float64Array | Int32Array>(a: T, n: number): T {
  if (n < a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(a.length * 2);
  b.set(a);
  return b;
}
