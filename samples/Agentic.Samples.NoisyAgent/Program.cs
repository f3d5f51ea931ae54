using Agentic.Samples.NoisyAgent;
using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;

// Usage: dotnet run --project samples/Agentic.Samples.NoisyAgent -- [none|low|medium|high] [tasks]
// The agent policy here is the tooluse suite's scripted expert (an IChatClient); swap in any IChatClient, such as
// services.AddAgenticChatClient(...) over an exported policy, or a hosted model.
var level = args.Length > 0 ? Enum.Parse<NoiseLevel>(args[0], ignoreCase: true) : NoiseLevel.High;
int count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;

var runs = await NoisyAgentDemo.RunAsync(new ToolUseExpert(), level, count, seed: 7);
foreach (var run in runs)
{
    Console.WriteLine($"request:      {run.Request}");
    if (run.NoisyRequest != run.Request) Console.WriteLine($"user said:    {run.NoisyRequest}");
    foreach (var injection in run.Injections) Console.WriteLine($"  injected    {injection.Source}/{injection.Kind} on {injection.Target}: {injection.Detail}");
    foreach (var message in run.Conversation.Skip(2))
    {
        foreach (var content in message.Contents)
        {
            var line = content switch
            {
                Microsoft.Extensions.AI.FunctionCallContent call => $"  call        {call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? [])})",
                Microsoft.Extensions.AI.FunctionResultContent result => $"  result      {Shorten(result.Result?.ToString())}",
                Microsoft.Extensions.AI.TextContent text when text.Text.Length > 0 => $"  says        {text.Text}",
                _ => null,
            };
            if (line is not null) Console.WriteLine(line);
        }
    }
    Console.WriteLine($"outcome:      {(run.Success ? "solved" : "failed")}\n");
}
Console.WriteLine($"{runs.Count(r => r.Success)} of {runs.Count} solved under {level} noise, {runs.Sum(r => r.Injections.Count)} injections.");

static string Shorten(string? text) => text is null ? "" : text.Length <= 120 ? text.ReplaceLineEndings(" ") : text[..117].ReplaceLineEndings(" ") + "...";
