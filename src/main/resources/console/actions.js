// Admin actions: each one asks for a confirmation and a reason in a modal dialog (native <dialog>:
// focus moves into it, Esc backs out), then calls the existing endpoint. What was done, and what
// the server answered, goes to the on-screen action log.

import {fill, h} from './dom.js';

const LOG_KEPT = 50;
const entries = [];
let logInto = null;

/** Resolves with the reason typed, or null when the operator backs out. */
export function confirmAction(title, what, note) {
  const dialog = document.getElementById('confirm');
  const form = document.getElementById('confirm-form');
  const reason = document.getElementById('confirm-reason');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-what').textContent = what;
  document.getElementById('confirm-note').textContent = note || '';
  reason.value = '';
  return new Promise((resolve) => {
    const done = (value) => {
      form.removeEventListener('submit', submit);
      document.getElementById('confirm-cancel').removeEventListener('click', back);
      dialog.removeEventListener('cancel', back);
      if (dialog.open) dialog.close();
      resolve(value);
    };
    const submit = (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) {
        reason.setCustomValidity('a reason is required');
        reason.reportValidity();
        return;
      }
      done(text);
    };
    const back = (e) => {
      e.preventDefault();
      done(null);
    };
    reason.oninput = () => reason.setCustomValidity('');
    form.addEventListener('submit', submit);
    document.getElementById('confirm-cancel').addEventListener('click', back);
    dialog.addEventListener('cancel', back);
    dialog.showModal();
    reason.focus();
  });
}

/** Confirms, calls, logs; resolves with the answer body, or null when backed out or refused. */
export async function act(title, what, request, note) {
  const reason = await confirmAction(title, what, note);
  if (reason === null) return null;
  try {
    const body = await request(reason);
    record(title + ': done', what, reason, true);
    return body;
  } catch (e) {
    record(title + ': refused, ' + e.message, what, reason, false);
    return null;
  }
}

function record(text, what, reason, ok) {
  entries.unshift({at: new Date().toISOString().slice(11, 19) + 'Z', text, what, reason, ok});
  if (entries.length > LOG_KEPT) entries.length = LOG_KEPT;
  if (logInto) renderLog(logInto);
}

export function renderLog(into) {
  logInto = into;
  fill(into, entries.length === 0 ? h('p', {class: 'empty'}, 'nothing done from this tab yet')
    : h('ol', {class: 'log'}, entries.map((e) => h('li', {class: e.ok ? 'ok' : 'failed'},
      h('span', {class: 'at'}, e.at), ' ', e.text, ' - ', e.what, ' - reason: ', e.reason))));
}
