/** Which language and framework the answers mean: `--language`, `--framework`, or what one implies of the other. */
import type { Problem } from "../core/validate.js";
import { shown } from "../core/validate.js";
import { DEFAULT_FRAMEWORKS, type Framework, findFramework, findLanguage, frameworksOf, LANGUAGES } from "../frameworks.js";

export function resolveFramework(flags: { framework?: string; language?: string }, problems: Problem[]): Framework | undefined {
  let language = undefined as ReturnType<typeof findLanguage>;
  if (flags.language !== undefined) {
    language = findLanguage(flags.language);
    if (!language) {
      problems.push({
        flag: "--language",
        message: `unknown language ${shown(flags.language)}; choose one of: ${LANGUAGES.map((l) => l.name).join(", ")}`,
      });
      return undefined;
    }
  }
  const name = flags.framework ?? DEFAULT_FRAMEWORKS[language ?? "typescript"];
  const framework = findFramework(name, language);
  if (!framework) {
    const choices = language
      ? frameworksOf(language).map((f) => f.name)
      : [
          ...new Set(
            frameworksOf("typescript")
              .concat(frameworksOf("python"))
              .map((f) => f.name),
          ),
        ];
    problems.push({
      flag: "--framework",
      message: `unknown framework ${shown(name)}${language ? ` for ${language}` : ""}; choose one of: ${choices.join(", ")}`,
    });
  }
  return framework;
}
