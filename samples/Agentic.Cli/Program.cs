using Agentic.Cli.Commands;

return await AgenticCommandLine.InvokeAsync(args);
