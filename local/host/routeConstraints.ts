/**
 * The subset of ASP.NET Core route constraints the local host understands, with the parsing rules
 * of their .NET counterparts (invariant culture). Any other constraint is refused when the route is
 * registered, so a route never silently matches more than it would in Azure.
 *
 * Supported: int, long, bool, guid, alpha, minlength(n), maxlength(n), length(n), length(min,max),
 * min(n), max(n), range(min,max).
 */

export interface RouteConstraint {
  /** The constraint as written in the template, e.g. `minlength(3)`. */
  readonly text: string;
  test(value: string): boolean;
}

type ConstraintFactory = (args: readonly string[]) => (value: string) => boolean;

const INT32 = { min: -(2n ** 31n), max: 2n ** 31n - 1n };
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

// .NET NumberStyles.Integer: optional surrounding white space and one leading sign.
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/;

const GUID_FORMATS = [
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  /^[0-9a-f]{32}$/i,
  /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i,
  /^\([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\)$/i,
];

function parseInteger(value: string, bounds: { min: bigint; max: bigint }): bigint | undefined {
  if (!INTEGER_TEXT.test(value)) return undefined;
  const parsed = BigInt(value.trim());
  return parsed >= bounds.min && parsed <= bounds.max ? parsed : undefined;
}

function integerArgument(text: string | undefined): bigint {
  const parsed = text === undefined ? undefined : parseInteger(text, INT64);
  if (parsed === undefined) throw new Error(`"${text ?? ''}" is not an integer`);
  return parsed;
}

function lengthArgument(text: string | undefined): number {
  const parsed = integerArgument(text);
  if (parsed < 0n) throw new Error(`a length cannot be negative (${text ?? ''})`);
  return Number(parsed);
}

function isLong(value: string, predicate: (n: bigint) => boolean): boolean {
  const parsed = parseInteger(value, INT64);
  return parsed !== undefined && predicate(parsed);
}

const FACTORIES: Record<string, { arities: readonly number[]; create: ConstraintFactory }> = {
  int: { arities: [0], create: () => (value) => parseInteger(value, INT32) !== undefined },
  long: { arities: [0], create: () => (value) => parseInteger(value, INT64) !== undefined },
  bool: { arities: [0], create: () => (value) => /^(true|false)$/i.test(value.trim()) },
  guid: { arities: [0], create: () => (value) => GUID_FORMATS.some((format) => format.test(value.trim())) },
  alpha: { arities: [0], create: () => (value) => /^[a-z]*$/i.test(value) },
  minlength: {
    arities: [1],
    create: ([min]) => {
      const minimum = lengthArgument(min);
      return (value) => value.length >= minimum;
    },
  },
  maxlength: {
    arities: [1],
    create: ([max]) => {
      const maximum = lengthArgument(max);
      return (value) => value.length <= maximum;
    },
  },
  length: {
    arities: [1, 2],
    create: ([first, second]) => {
      const minimum = lengthArgument(first);
      const maximum = second === undefined ? minimum : lengthArgument(second);
      if (minimum > maximum) throw new Error(`minimum ${minimum} exceeds maximum ${maximum}`);
      return (value) => value.length >= minimum && value.length <= maximum;
    },
  },
  min: {
    arities: [1],
    create: ([min]) => {
      const minimum = integerArgument(min);
      return (value) => isLong(value, (n) => n >= minimum);
    },
  },
  max: {
    arities: [1],
    create: ([max]) => {
      const maximum = integerArgument(max);
      return (value) => isLong(value, (n) => n <= maximum);
    },
  },
  range: {
    arities: [2],
    create: ([min, max]) => {
      const minimum = integerArgument(min);
      const maximum = integerArgument(max);
      if (minimum > maximum) throw new Error(`minimum ${minimum} exceeds maximum ${maximum}`);
      return (value) => isLong(value, (n) => n >= minimum && n <= maximum);
    },
  },
};

export const SUPPORTED_CONSTRAINTS: readonly string[] = Object.keys(FACTORIES);

/** Builds one constraint from its text (`int`, `length(1,80)`); throws on anything unsupported. */
export function createRouteConstraint(text: string): RouteConstraint {
  const syntax = /^([A-Za-z]+)(?:\((.*)\))?$/.exec(text);
  const name = syntax?.[1]?.toLowerCase();
  const factory = name === undefined ? undefined : FACTORIES[name];
  if (!syntax || !factory) {
    throw new Error(`unknown route constraint "${text}" (supported: ${SUPPORTED_CONSTRAINTS.join(', ')})`);
  }
  const args = syntax[2] === undefined ? [] : syntax[2].split(',').map((arg) => arg.trim());
  if (!factory.arities.includes(args.length)) {
    throw new Error(`route constraint "${text}" takes ${factory.arities.join(' or ')} argument(s)`);
  }
  try {
    return { text, test: factory.create(args) };
  } catch (error) {
    throw new Error(`invalid route constraint "${text}": ${(error as Error).message}`);
  }
}
