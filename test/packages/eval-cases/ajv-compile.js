import Ajv from 'ajv';

export async function run() {
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile({ type: 'object', properties: { a: { type: 'integer', minimum: 1 } }, required: ['a'] });
  return [validate({ a: 2 }), validate({ a: 0 }), validate.errors.map((e) => e.keyword)];
}
