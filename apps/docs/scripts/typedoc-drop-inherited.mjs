/**
 * A TypeDoc plugin for the API reference: a class lists its own members, and its "Extends"
 * line names the class it inherits the others from (each @convkit/layers module otherwise
 * repeats all of Module's methods and its base's properties: a 430 kB page).
 */
import { Converter, ReflectionKind } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const project = context.project;
    for (const owner of project.getReflectionsByKind(ReflectionKind.Class)) {
      for (const member of [...(owner.children ?? [])]) {
        if (member.inheritedFrom) project.removeReflection(member);
      }
    }
  });
}
