using Agentic.Samples.LocalChat;

// Usage: dotnet run --project samples/Agentic.Samples.LocalChat [EXPORTED_MODEL_FOLDER] [QUESTION]
// With no folder, a freshly initialised (UNTRAINED) tiny policy is exported to a temporary folder, so the sample always
// runs offline; its reply is noise, but the whole composition (DI, ONNX Runtime, tools, function invocation) runs.
return await LocalChatApp.RunAsync(args, Console.Out);
