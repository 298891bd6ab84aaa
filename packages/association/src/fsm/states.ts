/** PS3.8 §9.2.1, Table 9-1: the DICOM Upper Layer states, with the standard's own names. */
export const State = {
  Sta1: "Sta1",
  Sta2: "Sta2",
  Sta3: "Sta3",
  Sta4: "Sta4",
  Sta5: "Sta5",
  Sta6: "Sta6",
  Sta7: "Sta7",
  Sta8: "Sta8",
  Sta9: "Sta9",
  Sta10: "Sta10",
  Sta11: "Sta11",
  Sta12: "Sta12",
  Sta13: "Sta13",
} as const;
export type StateName = (typeof State)[keyof typeof State];

/** PS3.8 Table 9-1 descriptions, used in logs and error messages. */
export const STATE_DESCRIPTIONS: Readonly<Record<StateName, string>> = {
  Sta1: "Idle",
  Sta2: "Transport connection open (awaiting A-ASSOCIATE-RQ PDU)",
  Sta3: "Awaiting local A-ASSOCIATE response primitive",
  Sta4: "Awaiting transport connection opening to complete",
  Sta5: "Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU",
  Sta6: "Association established and ready for data transfer",
  Sta7: "Awaiting A-RELEASE-RP PDU",
  Sta8: "Awaiting local A-RELEASE response primitive",
  Sta9: "Release collision requestor side; awaiting A-RELEASE response primitive",
  Sta10: "Release collision acceptor side; awaiting A-RELEASE-RP PDU",
  Sta11: "Release collision requestor side; awaiting A-RELEASE-RP PDU",
  Sta12: "Release collision acceptor side; awaiting A-RELEASE response primitive",
  Sta13: "Awaiting transport connection close indication (association no longer exists)",
};

export const STATE_NAMES: readonly StateName[] = Object.values(State);
