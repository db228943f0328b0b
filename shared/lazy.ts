/**
 * Defers a module load or an expensive construction to first use, then keeps the result.
 * Function files use it so that loading them stays as cheap as loading `@azure/functions`.
 */
export function lazy<T>(load: () => T): () => T {
  let loaded: { value: T } | undefined;
  return () => {
    loaded ??= { value: load() };
    return loaded.value;
  };
}
