import { useTranslation } from 'react-i18next';
import { isUiLanguage, type UiLanguage } from './index';

/** A calendar date without time (YYYY-MM-DD) is shown as that day, whatever the time zone. */
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const LOCALES: Record<UiLanguage, string> = { he: 'he-IL', en: 'en-US' };

export function localeOf(lang: string): string {
  return isUiLanguage(lang) ? LOCALES[lang] : LOCALES.he;
}

/** Formatting of dates and numbers in the current UI language (Intl, he-IL / en-US). */
export function useFormat() {
  const { i18n } = useTranslation();
  const locale = localeOf(i18n.language);
  return {
    locale,
    date: (iso: string | null | undefined) =>
      iso
        ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: DATE_ONLY.test(iso) ? 'UTC' : undefined }).format(
            new Date(iso),
          )
        : '',
    dateTime: (iso: string | null | undefined) =>
      iso ? new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso)) : '',
    number: (n: number | null | undefined) => (n == null ? '' : new Intl.NumberFormat(locale).format(n)),
    /** Identifiers such as the customer number: digits only, no grouping. */
    plainNumber: (n: number | null | undefined) =>
      n == null ? '' : new Intl.NumberFormat(locale, { useGrouping: false }).format(n),
    country: (code: string | null | undefined) => (code ? regionName(locale, code) : ''),
  };
}

export function regionName(locale: string, code: string): string {
  try {
    return new Intl.DisplayNames([locale], { type: 'region' }).of(code) ?? code;
  } catch {
    return code;
  }
}
