/**
 * Top-level keys of Orthanc's configuration that belong to features dicomtls does not have (HTTP,
 * REST, Lua, storage engine, jobs, plugins' own sections). They are recognised by name so that an
 * administrator's existing file loads cleanly; dicomtls lists them as "not used".
 * Sources: Debian's /etc/orthanc/orthanc.json (Orthanc 1.10.1), Orthanc's Resources/Configuration.json
 * up to 1.12.x, and the section names documented by Orthanc's official plugins.
 */
export const ORTHANC_KEYS_NOT_USED: ReadonlySet<string> = new Set([
  // General / storage engine / index
  "Name", "IndexDirectory", "TemporaryDirectory", "StorageCompression", "MaximumStorageSize",
  "MaximumPatientCount", "MaximumStorageMode", "MaximumStorageCacheSize", "LuaScripts", "LuaHeartBeatPeriod",
  "ConcurrentJobs", "JobsEngineThreadsCount", "StoreDicom", "StoreMD5ForAttachments",
  "StorageAccessOnFind", "CheckRevisions", "DatabaseServerIdentifier", "ReadOnly",
  "ExtraMainDicomTags", "Warnings", "MainDicomTagsSignature", "StableAge", "UserMetadata", "UserContentType",
  "LimitJobs", "JobsHistorySize", "SaveJobs", "MediaArchiveSize", "LogExportedResources",
  "StorageCommitmentReportsSize", "MallocArenaMax", "ZipLoaderThreads", "SynchronousZipStream",
  "MaximumConcurrentDcmtkTranscoders", "KeepAlive", "KeepAliveTimeout", "TcpNoDelay",
  "DefaultEncoding", "DefaultPrivateCreator", "Dictionary", "LoadPrivateDictionary", "CaseSensitivePN",
  "ExternalDictionaries", "Locale", "ExecuteLuaEnabled", "RestApiWriteToFileSystemEnabled",
  "TranscodeDicomProtocol", "BuiltinDecoderTranscoderOrder", "IngestTranscoding",
  "IngestTranscodingOfUncompressed", "IngestTranscodingOfCompressed", "DicomLossyTranscodingQuality",
  "QueryRetrieveSize", "SynchronousCMove", "OrthancPeers",
  "OrthancPeersInDatabase", "StorageDirectoryLayout", "HousekeeperThread", "DeleteResourcesThreads",
  "EnableTranscoding", "AllowFindSopClassesInStudy",
  // HTTP server and REST API
  // (HttpServerEnabled, HttpPort, RemoteAccessAllowed, AuthenticationEnabled, RegisteredUsers, SslEnabled,
  // SslCertificate and MetricsEnabled are dicomtls keys: its HTTP(S) port serves /metrics and the status page.)
  "OrthancExplorerEnabled", "HttpDescribeErrors", "HttpCompressionEnabled",
  "HttpRequestTimeout", "HttpThreadsCount", "HttpProxy", "HttpVerbose", "HttpTimeout", "HttpsVerifyPeers",
  "HttpsCACertificates", "WebDavEnabled", "WebDavDeleteAllowed", "WebDavUploadAllowed",
  "SslMinimumProtocolVersion", "SslCiphersAccepted", "SslVerifyPeers", "SslTrustedClientCertificates",
  // Official plugins' own sections
  "DicomWeb", "Worklists", "ServeFolders", "PostgreSQL", "MySQL", "Odbc", "WebViewer", "Gdcm",
  "OrthancExplorer2", "StoneWebViewer", "OHIF", "VolView", "Authorization", "Transfers", "Tcia",
  "WholeSlideImaging", "Python", "PythonScript", "PythonVerbose", "AwsS3Storage", "AzureBlobStorage",
  "GoogleCloudStorage", "Housekeeper", "DelayedDeletion", "MultitenantDicom", "Indexer",
  "AdvancedStorage", "Education", "Java", "Neuro",
]);

/** Damerau-free Levenshtein distance, case-insensitive: good enough to catch a slipped finger. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/** The closest candidate when it is plausibly a typo (distance <= 2, or <= a quarter of the length). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 4));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}
