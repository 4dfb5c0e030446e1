import { invalid, type FieldErrorSpec } from '../../http/errors.js';
import { cleanInput, textProblem, withoutBidiControls } from '../../http/input.js';
import type { Params, Submission } from './intake.js';

/**
 * The edge's text rule (http/input.ts) for what the edge hook does not see, a multipart body: a NUL
 * or a broken character is refused (400) before the submission joins a batch (one bad value would
 * fail the whole batch's insert); bidi controls are removed from values and file names.
 */
export function cleanSubmission(submission: Submission): Submission {
  const problems: FieldErrorSpec[] = [];
  const params = cleanInput(submission.incoming.params, '', problems) as Params;
  const files = submission.incoming.files.map((f, i) => {
    for (const [key, value] of [['field', f.field], ['fileName', f.fileName], ['contentType', f.contentType]] as const) {
      const problem = textProblem(value);
      if (problem) problems.push({ path: `files.${i}.${key}`, code: problem });
    }
    return { ...f, field: withoutBidiControls(f.field), fileName: withoutBidiControls(f.fileName) };
  });
  if (problems.length) throw invalid(problems);
  return { ...submission, incoming: { ...submission.incoming, params, files } };
}
