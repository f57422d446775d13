// The REST client: the same endpoints and key header as any other client. The key lives in this
// tab's sessionStorage only: gone when the tab closes, never in lasting storage, a cookie or a URL.

const KEY = 'spark-console-api-key';

export const session = {
  key: () => sessionStorage.getItem(KEY),
  save: (key) => sessionStorage.setItem(KEY, key),
  clear: () => sessionStorage.removeItem(KEY),
};

/** A non-2xx answer: status and the API's error code/message (or what the body was). */
export class ApiError extends Error {
  constructor(status, code, message, retryAfter, body) {
    super(status + ' ' + code + (message ? ': ' + message : ''));
    this.status = status;
    this.body = body;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** One call; resolves with the JSON body (or text for text/plain), rejects with ApiError. */
export async function call(method, path, body) {
  const headers = {'X-API-Key': session.key() || ''};
  const init = {method, headers, cache: 'no-store', credentials: 'omit', redirect: 'error'};
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const type = res.headers.get('Content-Type') || '';
  const data = type.startsWith('application/json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) {
    const err = data && data.error ? data.error : {code: 'HTTP_' + res.status, message: typeof data === 'string' ? data.slice(0, 200) : ''};
    throw new ApiError(res.status, err.code, err.message, res.headers.get('Retry-After'), data);
  }
  return data;
}

export const get = (path) => call('GET', path);

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}
