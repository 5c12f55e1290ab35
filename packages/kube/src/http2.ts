/**
 * One HTTP/2 connection to an API server, shared by every request and watch of a client, as
 * kubectl does (issue 15): 20 parallel patches are 20 streams on one TLS connection instead of
 * 20 handshakes, each a round trip or two to a remote cluster.
 *
 * The first request opens the connection offering `h2` and `http/1.1` (ALPN). A server that
 * picks HTTP/1.1 (or no protocol) keeps that socket: it goes to the HTTP/1.1 agent for the
 * first request, and the client stays on HTTP/1.1. A connection that closes, fails or is told
 * to go away (GOAWAY) is replaced on the next request. The connection keeps the process alive
 * only while a stream is open, as an idle kept-alive HTTP/1.1 socket does not.
 */
import type { Agent as HttpAgent } from 'node:http';
import { type ClientHttp2Session, type ClientHttp2Stream, connect as connectH2, type OutgoingHttpHeaders } from 'node:http2';
import type { Agent as TlsAgent } from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as connectTls, type SecureContext, type TLSSocket } from 'node:tls';

/** The HTTP/2 connection of a client, or (the server chose HTTP/1.1) undefined. */
export class Http2Origin {
  private readonly url: URL;
  private readonly secureContext: SecureContext;
  private readonly agent: TlsAgent;
  private current: Promise<Session | undefined> | undefined;
  private http1 = false;

  /** `agent`: the HTTP/1.1 agent the client falls back to; it is given the probing socket. */
  constructor(server: string, secureContext: SecureContext, agent: TlsAgent) {
    this.url = new URL(server);
    this.secureContext = secureContext;
    this.agent = agent;
  }

  /**
   * Opens a stream on the connection (opening that first, within `timeoutMs`), or undefined when
   * the server speaks HTTP/1.1 only. `body`: whether a body follows (Node would otherwise end the
   * stream of a DELETE at once, as of a GET).
   */
  async request(headers: OutgoingHttpHeaders, body: boolean, timeoutMs: number): Promise<ClientHttp2Stream | undefined> {
    if (this.http1) return undefined;
    const pending = (this.current ??= this.open(timeoutMs));
    let session = await pending;
    if (session?.h2.closed || session?.h2.destroyed) {
      // Closed before its 'close' event told us: open the next one now rather than fail.
      if (this.current === pending) this.current = undefined;
      session = await (this.current ??= this.open(timeoutMs));
    }
    return session?.request(headers, body);
  }

  private open(timeoutMs: number): Promise<Session | undefined> {
    const host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    const opened = Promise.withResolvers<Session | undefined>();
    /** Lets the next request open a new connection (this one failed, closed or went away). */
    const forget = () => {
      if (this.current === opened.promise) this.current = undefined;
    };
    const socket = connectTls({
      host,
      port: Number(this.url.port) || 443,
      ...(isIP(host) ? {} : { servername: host }),
      secureContext: this.secureContext,
      ALPNProtocols: ['h2', 'http/1.1'],
    });
    const failed = (err: Error) => {
      forget();
      opened.reject(err);
    };
    socket.once('error', failed);
    socket.setTimeout(timeoutMs, () =>
      socket.destroy(Object.assign(new Error(`no TLS connection within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
    );
    socket.once('secureConnect', () => {
      socket.off('error', failed);
      socket.setTimeout(0);
      if (socket.alpnProtocol !== 'h2') {
        this.http1 = true;
        forget();
        handOver(this.agent, socket);
        return opened.resolve(undefined);
      }
      const session = new Session(connectH2(this.url.origin, { createConnection: () => socket }));
      session.h2.on('goaway', forget);
      session.h2.on('close', forget);
      session.h2.on('error', forget);
      opened.resolve(session);
    });
    return opened.promise;
  }
}

/** A session that holds the process open only while one of its streams is. */
class Session {
  readonly h2: ClientHttp2Session;
  private open = 0;

  constructor(h2: ClientHttp2Session) {
    this.h2 = h2;
    h2.unref();
  }

  request(headers: OutgoingHttpHeaders, body: boolean): ClientHttp2Stream {
    const stream = this.h2.request(headers, { endStream: !body });
    if (this.open++ === 0) this.h2.ref();
    stream.once('close', () => {
      if (--this.open === 0) this.h2.unref();
    });
    return stream;
  }
}

/**
 * Gives an HTTP/1.1 agent a socket that is already connected, for its next connection: the
 * handshake that found the server speaks HTTP/1.1 only is not thrown away.
 */
function handOver(agent: HttpAgent, socket: TLSSocket): void {
  const a = agent as HttpAgent & { createConnection: (options: object, cb?: (err: Error | null, s: Socket) => void) => Socket };
  const create = a.createConnection;
  const idle = () => socket.destroy(); // an error before any request uses it
  socket.on('error', idle);
  socket.unref();
  let spare: TLSSocket | undefined = socket;
  a.createConnection = function (this: HttpAgent, options, cb) {
    const s = spare;
    spare = undefined;
    a.createConnection = create;
    if (s && !s.destroyed) {
      s.off('error', idle);
      s.ref();
      return s;
    }
    return create.call(this, options, cb);
  };
}
