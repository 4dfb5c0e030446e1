import { Modal, PasswordInput, createTheme, type MantineThemeOverride } from '@mantine/core';
import type { TFunction } from 'i18next';

/**
 * The look of the back office, plus accessible names, in the UI language, for the few
 * controls Mantine labels by itself in English (the modal's close button, the password eye).
 */
export function buildTheme(t: TFunction): MantineThemeOverride {
  return createTheme({
    primaryColor: 'teal',
    fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans Hebrew", Arial, sans-serif',
    components: {
      Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': t('app.close') } } }),
      PasswordInput: PasswordInput.extend({
        defaultProps: { visibilityToggleButtonProps: { 'aria-label': t('app.togglePassword') } },
      }),
    },
  });
}
