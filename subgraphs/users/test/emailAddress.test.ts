import { emailAddress } from '../src/resolvers/inputRules';

describe('emailAddress', () => {
  it('accepts ordinary addresses, trimmed, with the domain in lower case', () => {
    expect(emailAddress(' Ada.Lovelace+chat@Example.COM ')).toBe('Ada.Lovelace+chat@example.com');
    expect(emailAddress("o'neil_x@mail.example.co.uk")).toBe("o'neil_x@mail.example.co.uk");
    expect(emailAddress('a@xn--bcher-kva.example')).toBe('a@xn--bcher-kva.example');
  });

  it('refuses anything that could carry a header, a second address or markup', () => {
    for (const bad of [
      'ada@example.com\r\nBcc: eve@example.com',
      'ada@example.com, eve@example.com',
      'Ada <ada@example.com>',
      '"ada"@example.com',
      'ada@[127.0.0.1]',
      'ada@localhost',
      'ada..l@example.com',
      '.ada@example.com',
      'ada@-example.com',
      '@example.com',
      'ada@',
      'ada',
      `${'a'.repeat(65)}@example.com`,
      `a@${'b'.repeat(250)}.com`,
    ]) {
      expect(() => emailAddress(bad)).toThrow(
        expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'email' }) }),
      );
    }
  });
});
