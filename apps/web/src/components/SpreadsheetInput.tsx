import { Alert, FileInput, Loader, Stack } from '@mantine/core';

/** Choosing a spreadsheet to upload (import, mail list): the field, a spinner while it is read, and the server's refusal. */
export function SpreadsheetInput(props: {
  label: string;
  description: string;
  placeholder: string;
  accept: string;
  value: File | null;
  onChange: (file: File | null) => void;
  pending: boolean;
  error: string | null;
}) {
  return (
    <Stack>
      <FileInput
        label={props.label}
        description={props.description}
        placeholder={props.placeholder}
        accept={props.accept}
        value={props.value}
        onChange={props.onChange}
        clearable
        maw={520}
        rightSection={props.pending ? <Loader size="xs" /> : undefined}
      />
      {props.error !== null && (
        <Alert color="red" role="alert">
          {props.error}
        </Alert>
      )}
    </Stack>
  );
}
