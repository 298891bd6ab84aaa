/** The plugin contract of the server app: what a plugin is given, and what the server is started with. */

import type { NodeConfig } from "@dicomtls/config";
import type { PeerInfo } from "@dicomtls/association";
import type { AAssociateRq } from "@dicomtls/pdu-codec";
import type { Scp } from "@dicomtls/scp";
import type { TlsContext } from "@dicomtls/tls-context";
import type { Registry } from "prom-client";
import type { Logger } from "./log.js";

/** What a plugin is given: the configuration, the SCP to register services on, the logger, and hooks. */
export interface ServerApp {
  readonly config: NodeConfig;
  readonly scp: Scp;
  readonly logger: Logger;
  /**
   * The node's Prometheus registry: a plugin adds its metrics here (names starting with `dicomtls_`), and they are
   * served on /metrics with the node's own. It exists even when MetricsEnabled is false (nothing is served then).
   */
  readonly metrics: { readonly registry: Registry };
  /** The node's current DICOM TLS context (it follows reloads); undefined when DicomTlsEnabled is false. */
  tlsContext(): TlsContext | undefined;
  /** Runs at stop, last registered first (plugins close in reverse order of start). */
  onClose(hook: () => void | Promise<void>): void;
  /** A veto on each A-ASSOCIATE-RQ after Orthanc's access control accepted it; return a reason string to refuse. */
  onAssociationRequest(hook: (rq: AAssociateRq, peer: PeerInfo) => string | undefined | Promise<string | undefined>): void;
}

/** A plugin: named, with declared dependencies, started in order, closed in reverse (fastify/avvio style). */
export interface ServerPlugin<Options = unknown> {
  readonly name: string;
  readonly dependencies?: readonly string[];
  register(app: ServerApp, options: Options): void | Promise<void>;
}

export type PluginEntry = ServerPlugin | readonly [ServerPlugin<never>, unknown];

export interface StartOptions {
  readonly logger: Logger;
  /** Interface to bind, DICOM and HTTP ports alike; default all (as Orthanc). */
  readonly host?: string;
  readonly plugins?: readonly PluginEntry[];
}

export class ServerStartError extends Error {
  readonly code = "ERR_DICOM_SERVER_START";
}
