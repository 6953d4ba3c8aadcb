import { v4, v5, validate, version, parse, stringify, NIL } from 'uuid';

export async function run() {
  const random = v4();
  const named = v5('bunbase.test', v5.DNS);
  return {
    named,
    v4: [validate(random), version(random)],
    roundTrip: stringify(parse(named)) === named,
    nil: validate(NIL),
  };
}
