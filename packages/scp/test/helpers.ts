import { createServer, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";

/** A loopback listener (TCP, or TLS when options are given) handing each connection to `onSocket`. */
export async function listen(
  onSocket: (socket: Socket) => void,
  tls?: TlsOptions,
): Promise<{ server: Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };
  const server: Server =
    tls === undefined
      ? createServer((s) => {
          track(s);
          onSocket(s);
        })
      : createTlsServer(tls, (s) => {
          track(s);
          onSocket(s);
        });
  // A handshake the client aborts is an error on the server; the test looks at the client side.
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("no address");
  return {
    server,
    port: addr.port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
