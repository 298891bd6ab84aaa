/** Which limit refused an association. */
export const AssociationLimitKind = {
  /** Associations open at once from every peer (DicomMaximumAssociations). */
  Total: "total",
  /** Associations open at once from one peer address (DicomMaximumAssociationsPerHost). */
  PerHost: "per-host",
} as const;
export type AssociationLimitKind = (typeof AssociationLimitKind)[keyof typeof AssociationLimitKind];

export interface LimitExceeded {
  readonly kind: AssociationLimitKind;
  readonly limit: number;
  /** Associations held when the request came (by everyone, or by this address). */
  readonly open: number;
}

/**
 * Counts associations held (admitted until closed) in total and per peer address. A slot is taken when the
 * request is admitted, before the A-ASSOCIATE-AC goes out, so requests decided at the same time cannot overshoot.
 */
export class AssociationLimits {
  readonly #total: number;
  readonly #perHost: number;
  #held = 0;
  readonly #byHost = new Map<string, number>();

  /** 0 (or undefined) = no limit of that kind. */
  constructor(total: number | undefined, perHost: number | undefined) {
    this.#total = total ?? 0;
    this.#perHost = perHost ?? 0;
  }

  get held(): number {
    return this.#held;
  }

  /** Takes a slot for `address`, or says which limit is reached (and takes nothing). */
  admit(address: string): LimitExceeded | undefined {
    if (this.#total > 0 && this.#held >= this.#total) return { kind: AssociationLimitKind.Total, limit: this.#total, open: this.#held };
    const mine = this.#byHost.get(address) ?? 0;
    if (this.#perHost > 0 && mine >= this.#perHost) return { kind: AssociationLimitKind.PerHost, limit: this.#perHost, open: mine };
    this.#held++;
    this.#byHost.set(address, mine + 1);
    return undefined;
  }

  /** Gives back a slot taken by admit(). */
  release(address: string): void {
    this.#held--;
    const mine = (this.#byHost.get(address) ?? 1) - 1;
    if (mine <= 0) this.#byHost.delete(address);
    else this.#byHost.set(address, mine);
  }
}
