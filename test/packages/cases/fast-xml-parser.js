import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';

export async function run() {
  const xml =
    '<?xml version="1.0"?><catalog><book id="b1"><title>One</title><price>9.5</price></book><book id="b2"><title>Two</title><price>12</price></book></catalog>';
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
  const parsed = parser.parse(xml);
  return {
    parsed,
    valid: XMLValidator.validate(xml),
    invalid: XMLValidator.validate('<a><b></a>') !== true,
    built: new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@' }).build(parsed.catalog),
  };
}
