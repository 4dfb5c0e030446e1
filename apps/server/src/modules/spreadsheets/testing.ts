import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/**
 * Test fixtures: a valid .xlsx made by hand (a zip of the five parts a workbook needs), whose
 * first sheet holds `rows` rows — and, with `padding`, that many bytes of white space after them: a
 * decompression bomb (400 MB of XML in a file of about 400 KB). The sheet is
 * deflated as it is generated: the test's own memory stays small. `lie` makes the central
 * directory declare 1 KB for the sheet (a declared size proves nothing).
 */
const PARTS: [string, string][] = [
  [
    '[Content_Types].xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
  ],
  [
    '_rels/.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
  ],
  [
    'xl/workbook.xml',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
  ],
  [
    'xl/_rels/workbook.xml.rels',
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
  ],
];

const cell = (ref: string, text: string) => `<c r="${ref}" t="inlineStr"><is><t>${text}</t></is></c>`;

/** The sheet's XML in pieces: a header row (name, email), `rows` data rows, then `padding` bytes of white space (what a bomb is made of). */
function* sheetXml(rows: number, padding: number): Generator<Buffer> {
  yield Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>' +
      `<row r="1">${cell('A1', 'name')}${cell('B1', 'email')}</row>`,
  );
  for (let r = 2; r <= rows + 1; r++) yield Buffer.from(`<row r="${r}">${cell(`A${r}`, `Person ${r}`)}${cell(`B${r}`, `person${r}@example.com`)}</row>`);
  const block = Buffer.alloc(1024 * 1024, ' ');
  for (let done = 0; done < padding; done += block.length) yield block.subarray(0, Math.min(block.length, padding - done));
  yield Buffer.from('</sheetData></worksheet>');
}

async function deflated(pieces: Iterable<Buffer>): Promise<{ data: Buffer; size: number; crc: number }> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  let size = 0;
  let crc = 0;
  for (const piece of pieces) {
    size += piece.length;
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return { data: Buffer.concat(out), size, crc };
}

export async function makeXlsx(opts: { rows: number; padding?: number; lie?: boolean; extraParts?: number }): Promise<{ file: Buffer; unpacked: number }> {
  const entries: { name: string; data: Buffer; size: number; crc: number }[] = PARTS.map(([name, text]) => {
    const raw = Buffer.from(text);
    return { name, data: deflateRawSync(raw), size: raw.length, crc: crc32(raw) };
  });
  entries.push({ name: 'xl/worksheets/sheet1.xml', ...(await deflated(sheetXml(opts.rows, opts.padding ?? 0))) });
  // Parts no reader asks for (a zip of thousands of tiny entries is another way to exhaust a reader).
  for (let i = 0; i < (opts.extraParts ?? 0); i++) {
    const raw = Buffer.from(`part ${i}`);
    entries.push({ name: `xl/media/part${i}.txt`, data: deflateRawSync(raw), size: raw.length, crc: crc32(raw) });
  }
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const declared = opts.lie && e.name.includes('worksheets') ? 1024 : e.size;
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(8, 8);
    head.writeUInt32LE(e.crc >>> 0, 14);
    head.writeUInt32LE(e.data.length, 18);
    head.writeUInt32LE(declared, 22);
    head.writeUInt16LE(name.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(e.crc >>> 0, 16);
    dir.writeUInt32LE(e.data.length, 20);
    dir.writeUInt32LE(declared, 24);
    dir.writeUInt16LE(name.length, 28);
    dir.writeUInt32LE(offset, 42);
    local.push(head, name, e.data);
    central.push(dir, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return { file: Buffer.concat([...local, cd, end]), unpacked: entries.reduce((n, e) => n + e.size, 0) };
}
