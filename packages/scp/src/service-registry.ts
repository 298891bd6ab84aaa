import type { Roles } from "@dicomtls/association";
import type { ServiceHandler } from "./types.js";

/** PS3.5 Annex A: Explicit then Implicit VR Little Endian, our default preference for a registered SOP class. */
export const DEFAULT_TRANSFER_SYNTAXES: readonly string[] = Object.freeze(["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"]);

/** Registration for every SOP class nobody registered explicitly. */
export const ANY_SOP_CLASS = "*";

export interface ServiceRegistration {
  readonly handler: ServiceHandler;
  /** Accepted transfer syntaxes, our preference first. */
  readonly transferSyntaxes: readonly string[];
  /** Roles we play for the SOP class (PS3.7 D.3.3.4); default SCP only. */
  readonly roles?: Roles;
  /** C-GET (PS3.4 C.5.3): when proposed, the storage SOP classes take the SCP role the requestor asks for. */
  readonly storesOnSameAssociation?: boolean;
}

export interface RegisterOptions {
  readonly transferSyntaxes?: readonly string[];
  readonly roles?: Roles;
  /**
   * The service sends C-STORE sub-operations back on the requestor's association (C-GET): an association that proposes
   * this SOP class gets the SCP/SCU role selection it asks for on storage SOP classes (PS3.4 C.5.3, PS3.7 D.3.3.4).
   */
  readonly storesOnSameAssociation?: boolean;
}

/**
 * Handlers by SOP class UID (dcm4che's DimseRQHandler registry): exactly one per SOP class, plus an optional
 * ANY_SOP_CLASS fallback. The registry also decides which abstract syntaxes the acceptor accepts.
 */
export class ServiceRegistry {
  readonly #services = new Map<string, ServiceRegistration>();

  /** Registers (or replaces) the handler of a SOP class, or of ANY_SOP_CLASS. */
  register(sopClassUid: string, handler: ServiceHandler, options: RegisterOptions = {}): void {
    this.#services.set(sopClassUid, {
      handler,
      transferSyntaxes: options.transferSyntaxes ?? DEFAULT_TRANSFER_SYNTAXES,
      ...(options.roles !== undefined && { roles: options.roles }),
      ...(options.storesOnSameAssociation === true && { storesOnSameAssociation: true }),
    });
  }

  unregister(sopClassUid: string): boolean {
    return this.#services.delete(sopClassUid);
  }

  /** The registration that serves `sopClassUid`: its own, else the fallback. */
  lookup(sopClassUid: string): ServiceRegistration | undefined {
    return this.#services.get(sopClassUid) ?? this.#services.get(ANY_SOP_CLASS);
  }

  /** Registered SOP class UIDs (without the fallback). */
  sopClasses(): string[] {
    return [...this.#services.keys()].filter((k) => k !== ANY_SOP_CLASS);
  }

  fallback(): ServiceRegistration | undefined {
    return this.#services.get(ANY_SOP_CLASS);
  }
}
