import type { he } from './he';

/** The shape of `he` with every leaf widened to `string`: what every other language must provide. */
export type DeepStrings<T> = { [K in keyof T]: T[K] extends string ? string : DeepStrings<T[K]> };
export type Messages = DeepStrings<typeof he>;

export type UiLanguage = 'he' | 'en';
