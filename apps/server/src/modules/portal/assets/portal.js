// The minimal customer portal page (/portal, /portal/set-password). No build step: served as is,
// allowed by the page's Content-Security-Policy through a nonce. Words come from the page.
(() => {
  'use strict';
  const config = JSON.parse(document.getElementById('portal-config').textContent);
  const t = config.strings;
  const $ = (id) => document.getElementById(id);
  const message = $('message');

  const show = (id) => {
    for (const el of document.querySelectorAll('[data-view]')) el.hidden = el.id !== id;
    const first = id && $(id)?.querySelector('input');
    if (first) first.focus();
  };
  const say = (text, kind = 'error') => {
    message.textContent = text || '';
    message.hidden = !text;
    message.className = `message ${kind}`;
  };

  async function api(method, path, body) {
    const headers = { 'accept-language': config.lang };
    if (body) headers['content-type'] = 'application/json';
    let res;
    try {
      res = await fetch(`/portal/api/${path}`, { method, credentials: 'same-origin', headers, body: body ? JSON.stringify(body) : undefined });
    } catch {
      return { ok: false, status: 0, body: { message: t.network } };
    }
    let data = null;
    try {
      data = res.status === 204 ? null : await res.json();
    } catch {
      data = null;
    }
    return { ok: res.ok, status: res.status, body: data };
  }

  const errorText = (r) => {
    const b = r.body || {};
    const fields = (b.fields || []).map((f) => f.message).join(' · ');
    return [b.message, fields].filter(Boolean).join(': ') || t.network;
  };

  /** The new password of a form, checked here first (the server checks again). */
  function newPasswordOf(form) {
    const a = form.elements.newPassword.value;
    const b = form.elements.confirm.value;
    if (a.length < config.minLength) return say(t.tooShort), null;
    if (a !== b) return say(t.mismatch), null;
    return a;
  }

  async function showMe() {
    const r = await api('GET', 'me');
    if (r.ok) {
      $('who-name').textContent = r.body.fullName || r.body.email || '';
      $('who-number').textContent = String(r.body.customerNumber);
      show('logged-in');
    } else if (r.status === 403 && r.body && r.body.mustChangePassword) {
      show('change-form');
    } else {
      show('login-form');
    }
  }

  if (config.page === 'login') {
    $('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      say('');
      const form = event.currentTarget;
      const body = { username: form.elements.username.value, password: form.elements.password.value };
      if (config.tenant) body.tenant = config.tenant;
      const r = await api('POST', 'login', body);
      form.elements.password.value = '';
      if (!r.ok) return say(errorText(r));
      if (r.body.mustChangePassword) show('change-form');
      else await showMe();
    });
    $('change-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      say('');
      const form = event.currentTarget;
      const newPassword = newPasswordOf(form);
      if (!newPassword) return;
      const r = await api('POST', 'password', { newPassword });
      if (!r.ok) return say(errorText(r));
      form.reset();
      await showMe();
    });
    $('logout').addEventListener('click', async () => {
      await api('POST', 'logout');
      say('');
      show('login-form');
    });
    showMe();
  } else {
    const token = new URLSearchParams(window.location.search).get('token');
    if (token) show('token-form');
    else say(t.noToken);
    $('token-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      say('');
      const form = event.currentTarget;
      const newPassword = newPasswordOf(form);
      if (!newPassword) return;
      const r = await api('POST', 'password/token', { token, newPassword });
      if (!r.ok) return say(errorText(r));
      form.reset();
      show('token-done');
    });
  }
})();
