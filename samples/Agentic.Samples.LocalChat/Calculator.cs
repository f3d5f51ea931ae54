using System.ComponentModel;
using Microsoft.Extensions.AI;

namespace Agentic.Samples.LocalChat;

/// <summary>The sample's tool: integer arithmetic the policy can call instead of computing in its head.</summary>
public sealed class Calculator
{
    private int _invocations;

    /// <summary>How many times a tool of this calculator has been invoked.</summary>
    public int Invocations => Volatile.Read(ref _invocations);

    /// <summary>Adds two integers.</summary>
    /// <param name="a">The first addend.</param>
    /// <param name="b">The second addend.</param>
    /// <returns>The sum.</returns>
    [Description("Adds two integers and returns the sum.")]
    public long Add([Description("The first addend")] long a, [Description("The second addend")] long b)
    {
        Interlocked.Increment(ref _invocations);
        return checked(a + b);
    }

    /// <summary>The calculator's tools as <see cref="AIFunction"/>s, ready for <see cref="ChatOptions.Tools"/>.</summary>
    public IList<AITool> AsTools() => [AIFunctionFactory.Create(Add, "add")];
}
