package io.sparkexec.testing;

/**
 * What every ccxt interop script starts with: the package loaded by name as an application loads
 * it, ccxt's binance class with every url at the base given, and a guard against any request off
 * loopback. Arguments: node_modules dir, base url, api key, secret, then the script's own.
 */
public final class CcxtScripts {

  private CcxtScripts() {}

  public static final String PRELUDE = """
    const ccxt = require(require.resolve('ccxt', { paths: [process.argv[2]] }));
    const [base, apiKey, secret] = process.argv.slice(3);
    const args = process.argv.slice(6);
    const exchange = new ccxt.binance({
      apiKey, secret,
      options: { fetchMarkets: { types: ['spot'] }, fetchMargins: false, fetchCurrencies: false },
    });
    for (const k of Object.keys(exchange.urls.api)) exchange.urls.api[k] = base + '/api/v3';
    const seen = new Set();
    const fetch = exchange.fetch.bind(exchange);
    exchange.fetch = (url, ...rest) => {
      if (!url.startsWith(base + '/')) throw new Error('request off loopback: ' + url);
      seen.add(url.slice(base.length).split('?')[0]);
      return fetch(url, ...rest);
    };
    const S = 'BTC/USDT';
    const ok = (step, detail) => console.log('OK ' + step + ' ' + detail);
    const check = (cond, what) => { if (!cond) throw new Error(what); };
    """;
}
