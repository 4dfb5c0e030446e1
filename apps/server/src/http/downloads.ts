import { PassThrough, type Writable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A spreadsheet the server writes as it goes (an export, a report). */
export interface XlsxFile {
  fileName: string;
  write(out: Writable): Promise<void>;
}

/**
 * Streams an .xlsx download: headers first, rows as they are written, never the whole file in
 * memory. A failure half-way is logged and cuts the download (the file is then visibly broken,
 * not silently short).
 */
export function sendXlsx(request: FastifyRequest, reply: FastifyReply, file: XlsxFile) {
  const out = new PassThrough();
  file.write(out).catch((err: unknown) => {
    request.log.error({ err, file: file.fileName }, 'spreadsheet download failed while streaming');
    out.destroy(err as Error);
  });
  const ascii = file.fileName.replace(/[^\w.-]/g, '_');
  // A Hebrew file name travels as RFC 6266 filename* beside an ASCII fallback.
  const disposition = ascii === file.fileName ? `attachment; filename="${ascii}"` : `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.fileName)}`;
  return reply
    .header('content-type', XLSX)
    .header('content-disposition', disposition)
    .header('cache-control', 'no-store')
    .send(out);
}
