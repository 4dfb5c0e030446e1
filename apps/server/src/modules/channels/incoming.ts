import { invalid, type FieldErrorSpec } from '../../http/errors.js';
import { cleanInput, textProblem, withoutBidiControls } from '../../http/input.js';
import type { Params, Submission } from './intake.js';

type Incoming = Submission['incoming'];

/**
 * The edge's text rule (http/input.ts) for what the edge hook does not see, a multipart body (read
 * by the route itself): a NUL or a broken character is refused (400) before the submission is logged
 * or joins a batch (one bad value would fail the whole batch's insert); bidi controls are removed
 * from values and file names. Query strings and JSON / form bodies were cleaned by the edge hook.
 */
export function cleanMultipart(incoming: Incoming): Incoming {
  const problems: FieldErrorSpec[] = [];
  const params = cleanInput(incoming.params, '', problems) as Params;
  const files = incoming.files.map((f, i) => {
    for (const [key, value] of [['field', f.field], ['fileName', f.fileName], ['contentType', f.contentType]] as const) {
      const problem = textProblem(value);
      if (problem) problems.push({ path: `files.${i}.${key}`, code: problem });
    }
    return { ...f, field: withoutBidiControls(f.field), fileName: withoutBidiControls(f.fileName) };
  });
  if (problems.length) throw invalid(problems);
  return { ...incoming, params, files };
}
