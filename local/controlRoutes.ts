import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BrokerError, InternalError, InvalidJsonError, InvalidParameterError, NotFoundError, PayloadTooLargeError } from '../shared/errors';
import { MAX_BODY_BYTES } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { parseIsoDuration } from '../shared/time/duration';
import { parseIsoDateTime } from '../shared/time/isoDateTime';
import { ANY_OPERATION, safeDecode } from './emulators/httpsEmulator';
import type { TokenArgs } from './emulators/issuer/tokenArgs';
import type { GatewayFleet } from './gateways/gatewayFleet';
import type { ExtraRoutes, RunningTimers } from './host';
import { MethodNotAllowedError } from './host/hostErrors';
import { describeError, type HostLog } from './host/hostLog';
import { sendError } from './host/httpHost';
import { BodyTooLargeError, readRequestBody } from './http/requestBody';
import { EMULATOR_NAMES, type LocalEnvironment } from './localEnvironment';
import type { LocalClock } from './time/localClock';

export const LOCAL_ROUTES = {
  upstreamCalls: '/_local/upstream-calls',
  token: '/_local/token',
  clock: '/_local/clock',
  faults: '/_local/faults',
  timers: '/_local/timers',
  gateways: '/_local/gateways',
} as const;

export interface LocalControl {
  environment: LocalEnvironment;
  clock: LocalClock;
  /** The local host's timers, which exist once it has started. */
  timers: () => RunningTimers;
  gateways: GatewayFleet;
  /** Where a control route's own failure is logged. */
  log: HostLog;
}

const isoDuration = z.string().transform((text, ctx) => {
  const ms = parseIsoDuration(text);
  if (ms === undefined) ctx.addIssue({ code: 'custom', message: `'${text}' is not an ISO 8601 duration such as PT30S, PT1H or P11D` });
  return ms ?? 0;
});

const isoInstant = z.string().transform((text, ctx) => {
  const date = parseIsoDateTime(text);
  if (date === undefined)
    ctx.addIssue({ code: 'custom', message: `'${text}' is not an ISO 8601 date-time with a time zone, such as 2027-01-15T09:00:00Z` });
  return date ?? new Date(0);
});

const clockSchema = z
  .strictObject({ advance: isoDuration.optional(), set: isoInstant.optional() })
  .refine((body) => (body.advance === undefined) !== (body.set === undefined), {
    message: "give exactly one of 'advance' and 'set'",
    path: ['advance'],
  });

const faultSchema = z.strictObject({
  emulator: z.enum(EMULATOR_NAMES),
  operation: z.string().min(1),
  status: z.number().int().min(400).max(599),
  times: z.number().int().positive().optional(),
  until: isoInstant.optional(),
  retryAfterSeconds: z.number().int().nonnegative().optional(),
  delayMs: z.number().int().nonnegative().max(600_000).optional(),
});

const timersSchema = z.strictObject({ paused: z.boolean() });

const gatewaySchema = z
  .strictObject({
    restart: z.literal(true).optional(),
    pickup: z.enum(['reloader', 'restart']).optional(),
    restartEvery: isoDuration.optional(),
  })
  .refine((body) => (body.restart === undefined) !== (body.pickup === undefined), {
    message: 'give either {"restart": true} or a \'pickup\' policy',
    path: ['pickup'],
  })
  .refine((body) => body.restartEvery === undefined || body.pickup === 'restart', {
    message: "applies only to the 'restart' pickup",
    path: ['restartEvery'],
  });

const GATEWAY_PATH = /^\/_local\/gateways\/([^/]+)\/([^/]+)$/;

type Answer = { status: number; body?: unknown };

/**
 * The local host's control routes (no auth, JSON, local host only): the emulators' call counts and
 * faults, the shared clock, the timers and the simulated gateways, and caller tokens for
 * `npm run token`. Bad input is a 400 with the broker's error body naming the field.
 */
export function localControlRoutes(control: LocalControl): ExtraRoutes {
  const routes: Record<string, Partial<Record<string, (body: unknown) => Answer | Promise<Answer>>>> = {
    [LOCAL_ROUTES.upstreamCalls]: { GET: () => ({ status: 200, body: control.environment.upstreamCalls() }) },
    [LOCAL_ROUTES.token]: {
      POST: async (body) => {
        try {
          return { status: 200, body: { token: await control.environment.callerToken(body as TokenArgs) } };
        } catch (error) {
          // The issuer refuses options it cannot sign (a lifetime that is no whole number of seconds): the caller's input.
          throw new InvalidParameterError('body', [{ code: 'InvalidValue', target: 'body', message: (error as Error).message }]);
        }
      },
    },
    [LOCAL_ROUTES.clock]: {
      GET: () => ({ status: 200, body: { now: control.clock.now().toISOString() } }),
      POST: (body) => moveClock(control, body),
    },
    [LOCAL_ROUTES.faults]: {
      POST: (body) => injectFault(control.environment, body),
      DELETE: () => {
        control.environment.clearFaults();
        return { status: 204 };
      },
    },
    [LOCAL_ROUTES.timers]: {
      POST: async (body) => {
        const { paused } = parseInput(timersSchema, body);
        await control.timers().setPaused(paused);
        return { status: 200, body: { paused } };
      },
    },
    [LOCAL_ROUTES.gateways]: { GET: () => ({ status: 200, body: control.gateways.list() }) },
  };

  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const gateway = GATEWAY_PATH.exec(path);
    const methods = gateway
      ? { POST: (body: unknown) => changeGateway(control.gateways, safeDecode(gateway[1] ?? ''), safeDecode(gateway[2] ?? ''), body) }
      : routes[path];
    if (!methods) return false;
    const method = req.method ?? 'GET';
    const handler = methods[method];
    const requestId = String(res.getHeader('x-request-id'));
    void (async () => {
      if (!handler) throw new MethodNotAllowedError(method, Object.keys(methods));
      const raw = await readRequestBody(req, MAX_BODY_BYTES);
      send(res, await handler(method === 'POST' ? parseJson(raw) : undefined));
    })().catch((error: unknown) => {
      if (error instanceof BrokerError) return sendError(res, error, requestId);
      if (error instanceof BodyTooLargeError)
        return sendError(res, new PayloadTooLargeError(MAX_BODY_BYTES), requestId, { connection: 'close' });
      control.log('error', 'host', `${method} ${path} (request id ${requestId}) failed: ${describeError(error)}`);
      sendError(res, new InternalError(), requestId);
    });
    return true;
  };
}

/** Forward only; when it answers, the timers and then the gateways have done, once, whatever the move made due. */
async function moveClock(control: LocalControl, body: unknown): Promise<Answer> {
  const { advance, set } = parseInput(clockSchema, body);
  const now = control.clock.now();
  if (set !== undefined && set.getTime() < Math.floor(now.getTime() / 1000) * 1000) {
    throw new InvalidParameterError('set', [
      {
        code: 'InvalidValue',
        target: 'set',
        message: `must not be earlier than the clock's now (${now.toISOString()}): the clock only moves forward`,
      },
    ]);
  }
  await control.gateways.afterJump(async () => {
    if (set !== undefined) control.clock.set(set);
    else control.clock.advance(advance ?? 0);
    await control.timers().catchUp();
  });
  return { status: 200, body: { now: control.clock.now().toISOString() } };
}

function injectFault(environment: LocalEnvironment, body: unknown): Answer {
  const { emulator: name, operation, until, ...fault } = parseInput(faultSchema, body);
  const emulator = environment.emulator(name);
  if (!emulator)
    throw new InvalidParameterError('emulator', [{ code: 'InvalidValue', target: 'emulator', message: `'${name}' is not running` }]);
  if (operation !== ANY_OPERATION && !emulator.operations.includes(operation)) {
    const known = [...emulator.operations, ANY_OPERATION].join(', ');
    throw new InvalidParameterError('operation', [
      { code: 'InvalidValue', target: 'operation', message: `is not an operation of ${name}: one of ${known}` },
    ]);
  }
  emulator.inject(operation, { ...fault, ...(until === undefined ? {} : { until }) });
  return { status: 201, body: { emulator: name, operation, ...fault, ...(until === undefined ? {} : { until: until.toISOString() }) } };
}

async function changeGateway(fleet: GatewayFleet, service: string, gatewayId: string, body: unknown): Promise<Answer> {
  const gateway = fleet.find(service, gatewayId);
  if (!gateway) throw new NotFoundError(`Simulated gateway '${gatewayId}' of '${service}'`, 'gatewayId');
  const { pickup, restartEvery } = parseInput(gatewaySchema, body);
  await fleet.change(() =>
    pickup === undefined
      ? gateway.restart()
      : gateway.setPolicy({ pickup, ...(restartEvery === undefined ? {} : { restartEveryMs: restartEvery }) }),
  );
  return { status: 200, body: gateway.status() };
}

function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new InvalidJsonError();
  }
}

function send(res: ServerResponse, answer: Answer): void {
  if (answer.body === undefined) {
    res.writeHead(answer.status, { 'cache-control': 'no-store' }).end();
    return;
  }
  res
    .writeHead(answer.status, { 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(answer.body));
}
