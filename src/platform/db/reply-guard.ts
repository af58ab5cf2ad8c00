/**
 * A guard in the driver against crossed replies: a pooled connection that receives a reply which
 * does not answer the request it just sent is destroyed, and the operation fails with a network
 * error (reads are retried once by the driver on a fresh connection). So a stale or extra reply
 * can never be served as the data of a later request — another brand's facts on a public page, or
 * a back-office session in a trademark query — whatever put it on the wire.
 *
 * Why it is needed: the driver reads "the next message on the connection" as the reply and does
 * not compare `responseTo` with the request's id. One extra reply (FerretDB answering a `w: 0`
 * write, docs/decisions/0007) shifted every later reply on that connection by one, until restart.
 *
 * How: the driver builds pool connections from the (internal, but accepted and documented in the
 * source as "custom types for modifying core behavior") `connectionType` client option. This
 * subclass remembers the id of each request that expects a reply and checks every reply read for
 * it; exhaust replies (`moreToCome`) chain on the previous reply's id, as the protocol says.
 * test/data-layer.test.ts injects an extra reply through a proxy and checks that the guard trips,
 * so a driver upgrade that changes these internals fails the suite instead of silently unguarding.
 */
import { createRequire } from 'node:module';

/** What the guard saw when it destroyed a connection. */
export interface CrossedReply {
  expectedResponseTo: number;
  responseTo: number;
  /** The driver's connection id. */
  connectionId: number | string;
  address: string;
}

interface WireRequest {
  requestId: number;
  moreToCome?: boolean;
}
interface WireResponse {
  requestId: number;
  responseTo: number;
  moreToCome: boolean;
}

interface DriverConnection {
  id: number | string;
  address: string;
  writeCommand(command: WireRequest, options: unknown): Promise<void>;
  readMany(options: unknown): AsyncGenerator<WireResponse>;
  onError(error: Error): void;
}
type DriverConnectionClass = new (...args: never[]) => DriverConnection;

// The driver instance mongoose uses (resolved from mongoose, so both see the same classes).
const requireFromMongoose = createRequire(createRequire(import.meta.url).resolve('mongoose'));
const { Connection } = requireFromMongoose('mongodb/lib/cmap/connection.js') as { Connection: DriverConnectionClass };
const { MongoNetworkError } = requireFromMongoose('mongodb') as { MongoNetworkError: new (message: string) => Error };

let report: (event: CrossedReply) => void = () => {};

/** Where crossed replies are reported (the logger; tests count them). */
export function onCrossedReply(listener: (event: CrossedReply) => void): void {
  report = listener;
}

/** How many connections the guard has destroyed in this process. */
export let crossedReplies = 0;

class GuardedConnection extends Connection {
  /** The id the next reply must answer; null while no reply is expected. */
  private expectedResponseTo: number | null = null;

  override async writeCommand(command: WireRequest, options: unknown): Promise<void> {
    this.expectedResponseTo = command.moreToCome ? null : command.requestId;
    return super.writeCommand(command, options);
  }

  override async *readMany(options: unknown): AsyncGenerator<WireResponse> {
    for await (const response of super.readMany(options)) {
      if (this.expectedResponseTo === null || response.responseTo !== this.expectedResponseTo) {
        const event: CrossedReply = {
          expectedResponseTo: this.expectedResponseTo ?? -1,
          responseTo: response.responseTo,
          connectionId: this.id,
          address: this.address,
        };
        crossedReplies++;
        report(event);
        const error = new MongoNetworkError(
          `crossed reply on connection ${this.id} to ${this.address}: expected a reply to request ${event.expectedResponseTo}, ` +
            `got one to ${event.responseTo}; the connection was closed`,
        );
        this.expectedResponseTo = null;
        this.onError(error);
        throw error;
      }
      this.expectedResponseTo = response.moreToCome ? response.requestId : null;
      yield response;
    }
  }
}

/** The client option that makes every pooled connection a guarded one. */
export const guardedConnectionOption = { connectionType: GuardedConnection } as Record<string, unknown>;
