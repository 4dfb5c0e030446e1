import { PORTAL_PASSWORD_MIN } from '@kesher/contracts';

// The portal page's own words, in Hebrew and English. The API's error messages come from
// http/messages.ts in the language the page asks for (Accept-Language).
const en = {
  title: 'Customer portal',
  switchLanguage: 'עברית',
  loginTitle: 'Log in',
  username: 'Customer number or email',
  password: 'Password',
  login: 'Log in',
  mustChangeTitle: 'Choose your own password',
  mustChangeIntro: `You logged in with the password we sent you. Choose a password of your own (at least ${PORTAL_PASSWORD_MIN} characters) to continue.`,
  newPassword: 'New password',
  confirmPassword: 'New password again',
  savePassword: 'Save password',
  mismatch: 'The two passwords are not the same',
  tooShort: `At least ${PORTAL_PASSWORD_MIN} characters`,
  loggedInAs: 'Logged in as',
  customerNumber: 'Customer number',
  logout: 'Log out',
  setPasswordTitle: 'Set your password',
  setPasswordIntro: `Choose a password for the customer portal (at least ${PORTAL_PASSWORD_MIN} characters).`,
  passwordSaved: 'Your password is saved. You can log in with it now.',
  goToLogin: 'Go to the login page',
  noToken: 'This link is incomplete. Open the link from the email again.',
  network: 'The server could not be reached. Try again.',
  noscript: 'This page needs JavaScript.',
} as const;

export type PageStringKey = keyof typeof en;
export type PageLanguage = 'he' | 'en';

const he: Record<PageStringKey, string> = {
  title: 'פורטל לקוחות',
  switchLanguage: 'English',
  loginTitle: 'כניסה',
  username: 'מספר לקוח או דוא"ל',
  password: 'סיסמה',
  login: 'כניסה',
  mustChangeTitle: 'בחירת סיסמה אישית',
  mustChangeIntro: `נכנסת עם הסיסמה ששלחנו לך. כדי להמשיך יש לבחור סיסמה אישית (לפחות ${PORTAL_PASSWORD_MIN} תווים).`,
  newPassword: 'סיסמה חדשה',
  confirmPassword: 'הסיסמה החדשה שוב',
  savePassword: 'שמירת הסיסמה',
  mismatch: 'שתי הסיסמאות אינן זהות',
  tooShort: `לפחות ${PORTAL_PASSWORD_MIN} תווים`,
  loggedInAs: 'מחובר/ת בתור',
  customerNumber: 'מספר לקוח',
  logout: 'יציאה',
  setPasswordTitle: 'קביעת סיסמה',
  setPasswordIntro: `יש לבחור סיסמה לפורטל הלקוחות (לפחות ${PORTAL_PASSWORD_MIN} תווים).`,
  passwordSaved: 'הסיסמה נשמרה. אפשר להתחבר איתה עכשיו.',
  goToLogin: 'למסך הכניסה',
  noToken: 'הקישור אינו שלם. יש לפתוח שוב את הקישור מהדוא"ל.',
  network: 'אין חיבור לשרת. נסו שוב.',
  noscript: 'דף זה דורש JavaScript.',
};

export const pageStrings: Record<PageLanguage, Record<PageStringKey, string>> = { en, he };

/** The page's language: `?lang=en` switches to English; Hebrew otherwise. */
export const pageLanguage = (lang: unknown): PageLanguage => (lang === 'en' ? 'en' : 'he');
