import { open, stat, unlink, type FileHandle } from "node:fs/promises";

export async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch {
    // Already gone, or the file system is failing: nothing more can be done for a temporary file.
  }
}

export async function closeQuietly(fh: FileHandle | undefined): Promise<void> {
  try {
    await fh?.close();
  } catch {
    // Closed already, or failing after everything that mattered (fsync) succeeded.
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** fsync of a folder, so the entries created, renamed or removed in it survive a power loss. */
export async function syncFolder(folder: string): Promise<void> {
  const fh = await open(folder, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
