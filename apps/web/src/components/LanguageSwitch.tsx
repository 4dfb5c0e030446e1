import { useEffect } from 'react';
import { Button, useDirection } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { directionOf, isUiLanguage, setLanguage, type UiLanguage } from '../i18n';

/** Flips the interface between Hebrew (RTL) and English (LTR); the choice is remembered in this browser. */
export function LanguageSwitch() {
  const { t, i18n } = useTranslation();
  const next: UiLanguage = i18n.language === 'en' ? 'he' : 'en';
  return (
    <Button variant="subtle" size="compact-sm" lang={next} title={t('language.switchToHint')} onClick={() => void setLanguage(next)}>
      {t('language.switchTo')}
    </Button>
  );
}

/** Keeps Mantine's direction (and so every component's layout) in step with the UI language. */
export function DirectionSync() {
  const { i18n } = useTranslation();
  const { setDirection } = useDirection();
  useEffect(() => {
    if (isUiLanguage(i18n.language)) setDirection(directionOf(i18n.language));
  }, [i18n.language, setDirection]);
  return null;
}
