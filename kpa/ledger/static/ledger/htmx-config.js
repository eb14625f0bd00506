// Runs after htmx (both deferred, in order) and before it initialises on DOMContentLoaded.
// The strict CSP forbids inline styles and eval: htmx must not inject its indicator <style>.
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
