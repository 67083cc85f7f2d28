// Required first by the init benchmark so that the module loader is warm.
