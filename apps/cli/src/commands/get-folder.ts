import { mkdir, open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from "@dicomtls/association";
import type { ReceivedInstance } from "@dicomtls/scu";
import { encodeFileMeta } from "@dicomtls/dataset";

export interface FolderSink {
  readonly onInstance: (instance: ReceivedInstance) => Promise<void>;
  /** Files written so far. */
  readonly written: () => number;
}

/**
 * Writes each received instance to `<dir>/<SOPInstanceUID>.dcm` as a PS3.10 file: File Meta (@dicomtls/dataset's
 * encoder, the one storage writes with; the transfer syntax of the context it arrived on, `sourceAeTitle` as its
 * Source AE Title) then the data set bytes as received. Written under a temporary name and renamed, so the folder
 * never holds half a file under a final name.
 */
export async function folderSink(dir: string, sourceAeTitle: string): Promise<FolderSink> {
  await mkdir(dir, { recursive: true });
  let written = 0;
  const onInstance = async (instance: ReceivedInstance): Promise<void> => {
    // encodeFileMeta checks the UIDs (PS3.5 §9.1): digits and dots only, so the name cannot leave the folder.
    const meta = encodeFileMeta({
      mediaStorageSopClassUid: instance.sopClassUid,
      mediaStorageSopInstanceUid: instance.sopInstanceUid,
      transferSyntaxUid: instance.transferSyntaxUid,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
      sourceAeTitle,
    });
    const file = join(dir, `${instance.sopInstanceUid}.dcm`);
    const partial = `${file}.part`;
    const handle = await open(partial, "w");
    try {
      await handle.write(meta);
      for await (const chunk of instance.dataset) await handle.write(chunk);
      await handle.close();
      await rename(partial, file);
    } catch (err) {
      await handle.close().catch(() => undefined);
      await rm(partial, { force: true });
      throw err;
    }
    written += 1;
  };
  return { onInstance, written: () => written };
}
