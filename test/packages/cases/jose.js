import { SignJWT, jwtVerify, decodeJwt, base64url } from 'jose';

export async function run() {
  const secret = new TextEncoder().encode('a-secret-of-at-least-32-bytes-long!!');
  const token = await new SignJWT({ sub: 'user-1', role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt(1700000000)
    .setExpirationTime(4100000000)
    .sign(secret);
  const { payload } = await jwtVerify(token, secret);
  let tampered = 'accepted';
  try {
    await jwtVerify(token.slice(0, -2) + 'xx', secret);
  } catch (e) {
    tampered = e.code;
  }
  return { token, payload, decoded: decodeJwt(token), tampered, b64: base64url.encode('hi?') };
}
